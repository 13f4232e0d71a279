# addheader is seen by later tests.
require ["editheader", "fileinto", "index"];
addheader "X-Filtered" "yes";
if header :is "x-filtered" "yes" { fileinto "Filtered"; }
addheader :last "X-Order" "last";
addheader "X-Order" "first";
if header :index 1 :is "x-order" "first" { fileinto "FirstFirst"; }
addheader "X-Utf8" "Grüße";
if header :is "x-utf8" "Grüße" { fileinto "Utf8"; }
