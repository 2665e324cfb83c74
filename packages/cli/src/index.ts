// @rsky/cli: The rsky command: verify, inspect, list, diff and export AT Protocol repositories and CAR files
export {}
