{ inherit; }
