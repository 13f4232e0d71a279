require "variables";
set "a";
