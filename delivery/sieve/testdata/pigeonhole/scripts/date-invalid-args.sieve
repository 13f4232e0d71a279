# An unknown date part is only a warning in Pigeonhole, and the test is
# false; an invalid zone is taken as the local zone.
require ["date", "fileinto"];
if date "date" "century" "20" { fileinto "Century"; }
if date :zone "UTC" "date" "year" ["2021", "2023", "2024"] { fileinto "Zoned"; }
if date "date" "year" ["2021", "2023", "2024"] { fileinto "Year"; }
