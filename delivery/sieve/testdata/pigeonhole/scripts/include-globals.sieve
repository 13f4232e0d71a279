# global variables shared with an included script; return.
require ["include", "variables", "fileinto"];
global "folder";
set "folder" "Default";
include "set-folder";
fileinto "${folder}";
