// @rsky/repo: AT Protocol repositories: signed commits, block storage, CAR export and import, verification
export {}
