// `@labelpipe/sources/http`: a subpath of its own, so that only users who fetch frames over HTTP load undici.
export type { HttpFramesResolver, HttpFramesResolverOptions, HttpFramesRetry, HttpFramesStats } from './http-frames-resolver.js'
export { httpFramesResolver } from './http-frames-resolver.js'
