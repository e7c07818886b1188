/** Machine-readable reasons a homeserver could not be provided. */
export type HomeserverErrorCode =
  | 'NOT_ROOT'
  | 'TREE_BUILD_FAILED'
  | 'TREE_INVALID'
  | 'START_FAILED'
  | 'HEALTH_TIMEOUT'
  | 'CONFIG_INVALID'
  | 'EXISTING_UNREACHABLE'
  | 'DOCKER_FAILED';

export class HomeserverError extends Error {
  readonly code: HomeserverErrorCode;

  constructor(code: HomeserverErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HomeserverError';
    this.code = code;
  }
}
