# vacation with every argument.
require "vacation";
vacation :days 3 :subject "Out of office" :from "user@example.com"
  :addresses ["user+work@example.com", "u@example.com"] :handle "ooo-2024" text:
I am out of the office.
.
;
