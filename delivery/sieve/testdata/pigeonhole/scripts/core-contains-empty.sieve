# Empty keys, missing headers, and an empty header list item.
require "fileinto";
if header :contains "subject" "" { fileinto "E1"; }
if header :contains "x-missing" "" { fileinto "E2"; }
if not header :is "x-missing" "" { fileinto "E3"; }
if exists ["subject", "x-missing"] { fileinto "E4"; }
if header :is "subject" ["nope", "Leap day", "Hello world"] { fileinto "E5"; }
