# stop in an included script ends everything.
require ["include", "fileinto"];
include "stopper";
fileinto "NotReached";
