# :matches with wildcards and escapes.
require "fileinto";
if header :matches "subject" "Hello*" { fileinto "M1"; }
if header :matches "subject" "?ello ?orld" { fileinto "M2"; }
if header :matches "subject" "*\\*\\*\\**" { fileinto "M3"; }
if header :matches "message-id" "<*@*>" { fileinto "M4"; }
if header :matches "subject" "*" { fileinto "M5"; }
if header :matches "subject" "" { fileinto "M6"; }
if header :matches :comparator "i;octet" "subject" "hello*" { fileinto "M7"; }
if header :matches "x-spam-score" "??" { fileinto "M8"; }
