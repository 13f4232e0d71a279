require "variables";
set "1" "b";
