// `@labelpipe/sources/http`: a subpath of its own, so that only users who fetch frames over HTTP load undici.
export type { HttpFramesResolver, HttpFramesStats } from './http-frames-resolver.js'
export { httpFramesResolver } from './http-frames-resolver.js'
export type { HttpFramesResolverOptions, HttpFramesRetry } from './http-frames-resolver-options.js'
