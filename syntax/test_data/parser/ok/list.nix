[ 1 "a" a.b (f x) [ ] { } a.b or c f ]
