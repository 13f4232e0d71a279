# Invalid references stay literal; long values are cut.
require ["variables", "fileinto"];
set "x" "${";
set "y" "${x}{x}";
if string :is "${y}" "${{x}" { fileinto "Literal"; }
set "z" "${1a}${}";
if string :is "${z}" "${1a}${}" { fileinto "Kept"; }
