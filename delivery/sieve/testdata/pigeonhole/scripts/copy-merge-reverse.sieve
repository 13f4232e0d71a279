# The other order: the first fileinto cancels the implicit keep.
require ["fileinto", "copy"];
fileinto "Twice";
fileinto :copy "Twice";
