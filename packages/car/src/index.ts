// @rsky/car: Streaming CAR v1 reader and writer with every block hash-checked
export {}
