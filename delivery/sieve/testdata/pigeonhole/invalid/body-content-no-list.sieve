require "body";
if body :content :contains "x" { keep; }
