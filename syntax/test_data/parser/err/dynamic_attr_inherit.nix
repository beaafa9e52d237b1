# errors: 2
{ inherit ${a} "${b}"; }
