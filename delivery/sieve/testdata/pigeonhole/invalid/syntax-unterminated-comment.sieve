keep; /* a comment
