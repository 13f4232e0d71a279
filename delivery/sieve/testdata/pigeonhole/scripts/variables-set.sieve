# set with each modifier and match variables.
require ["variables", "fileinto"];
set "name" "World";
set :lower "lo" "MiXeD";
set :upper "up" "MiXeD";
set :lowerfirst "lf" "MiXeD";
set :upperfirst "uf" "miXeD";
set :length "len" "${name}";
set :quotewildcard "qw" "a*b?c\\d";
set :upper :lowerfirst "combo" "hello";
fileinto "${lo}.${up}.${lf}.${uf}.${len}.${combo}";
if string :is "${qw}" "a\\*b\\?c\\\\d" { fileinto "Quoted"; }
