import { pipeline } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { HttpFramesError, type V1Frame } from '@labelpipe/core'
import type { Dispatcher } from 'undici'
import { frameLineSplitter, parseFrameLines } from '../frame-lines.js'
import { utf8Checked } from '../utf8-checked.js'

/** Streams a 200 body through split2 (frameLineSplitter), one v1 frame a line; errors name the label, the URL without its query and the line. */
export async function readFramesBody(response: Dispatcher.ResponseData, labelId: string, where: string): Promise<V1Frame[]> {
  const { body } = response
  // Content codings are case-insensitive (RFC 9110 8.4.1).
  const coding = String(response.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase()
  if (coding !== 'identity' && coding !== 'gzip') {
    // undici reports destroying an unfinished body as an 'error' (RequestAbortedError) a tick later; with no
    // listener that error would end the process.
    body.on('error', () => {}).destroy()
    throw new HttpFramesError('LP_HTTP_STATUS', `unsupported Content-Encoding ${coding}: expected gzip or none`, {
      labelId,
      url: where,
      statusCode: response.statusCode,
    })
  }
  const file = `frames of label ${labelId} (${where})`
  const lines = frameLineSplitter()
  // pipeline() owns the streams: a reset, a timeout or an abort destroys `lines` with the error, and the loop
  // below throws it; its callback has nothing left to do.
  if (coding === 'gzip') pipeline(body, createGunzip(), utf8Checked(file), lines, () => {})
  else pipeline(body, utf8Checked(file), lines, () => {})
  const frames: V1Frame[] = []
  try {
    for await (const frame of parseFrameLines(lines as AsyncIterable<string>, file, { byteOffset: 0 })) frames.push(frame)
  } finally {
    body.destroy()
    lines.destroy()
  }
  return frames
}
