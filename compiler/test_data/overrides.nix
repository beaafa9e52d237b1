(rec { __overrides = { a = 2; }; x = a; a = 1; }).x
