// @rsky/space: AT Protocol permissioned data (spaces): LtHash, space commits, credentials, two-root CAR
export {}
