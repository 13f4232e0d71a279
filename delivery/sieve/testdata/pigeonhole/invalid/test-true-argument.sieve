if true "x" { keep; }
