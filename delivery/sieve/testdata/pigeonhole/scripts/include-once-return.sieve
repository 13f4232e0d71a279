# include :once twice, and return in the main script.
require ["include", "fileinto"];
include :once "filter-lists";
include :once "filter-lists";
if header :contains "subject" "Hello" { return; }
fileinto "AfterReturn";
