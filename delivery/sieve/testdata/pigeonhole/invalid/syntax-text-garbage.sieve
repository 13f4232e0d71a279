require "reject";
reject text: x
hello
.
;
