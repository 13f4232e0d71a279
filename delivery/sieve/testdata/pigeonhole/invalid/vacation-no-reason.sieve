require "vacation";
vacation :days 3;
