# errors: 2
# the duplicate a is reported as well as the end of file
{ a = 1; a = 2;
