discard true;
