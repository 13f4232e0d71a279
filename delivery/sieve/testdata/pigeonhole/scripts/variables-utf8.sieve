# Modifiers on UTF-8 text, :length counts characters.
require ["variables", "fileinto", "encoded-character"];
if header :matches "subject" "*" { set :length "n" "${1}"; set :upper "u" "${1}"; }
fileinto "L${n}";
if string :contains "${u}" "GRO" { fileinto "Upper"; }
set "e" "${unicode:00e9}";
set :length "el" "${e}${e}";
if string :is "${el}" "2" { fileinto "TwoChars"; }
