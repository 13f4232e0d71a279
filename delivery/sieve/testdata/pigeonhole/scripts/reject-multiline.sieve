# A multi-line reason.
require "reject";
if header :contains "from" "lottery" {
  reject text:
Your message was refused.
..Dots are unstuffed.
.
;
}
