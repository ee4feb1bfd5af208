import type { Batch, Located, PipelineStage, V1Frame, V1Label, V1LabelContent, V1LabelGroup } from '@labelpipe/core'

/**
 * Where the frames of a raw v1 video label come from: its `Label` is `{"frames": "<URL>"}` (formats.md
 * "v1 video frames NDJSON"). `frames` yields the label's labeled frames in file order; yielding none is the
 * "skipped" answer (HTTP 204: a skipped label has no frames). Errors are LabelpipeErrors that name where
 * (file and line, or the URL without its query). framesDirResolver reads local files; an HTTP resolver
 * (GET with the API key, 301 to signed storage, 204, 429) implements the same interface.
 */
export interface FramesResolver {
  frames(label: V1Label, signal: AbortSignal): AsyncIterable<V1Frame>
}

/**
 * A pipeline stage that fetches the frames of each raw video label (`Label.frames` a string) through
 * `resolver` and puts them back as `Label.frames: [...]`, the inlined form v1LabelsToDataRows reads (as
 * video_export.json holds it). Other labels pass unchanged. Labels are resolved one at a time, in order:
 * a label's frames are held in memory while its data row is converted.
 */
export function resolveV1Frames(resolver: FramesResolver): PipelineStage<V1LabelGroup, V1LabelGroup> {
  return {
    name: 'resolveV1Frames',
    async *run(batches: AsyncIterable<Batch<V1LabelGroup>>, { signal }: { signal: AbortSignal }) {
      for await (const batch of batches) {
        let out: Located<V1LabelGroup>[] | undefined
        for (let i = 0; i < batch.length; i++) {
          const located = batch[i] as Located<V1LabelGroup>
          const group = located.value
          if (!group.labels.some(hasFramesUrl)) {
            out?.push(located)
            continue
          }
          out ??= batch.slice(0, i)
          const labels: V1Label[] = []
          for (const label of group.labels) labels.push(hasFramesUrl(label) ? await withFrames(label, resolver, signal) : label)
          out.push({ value: { dataRowId: group.dataRowId, labels }, at: located.at })
        }
        yield out ?? batch
      }
    },
  }
}

function hasFramesUrl(label: V1Label): boolean {
  const content = label.Label
  return !Array.isArray(content) && typeof (content as V1LabelContent).frames === 'string'
}

async function withFrames(label: V1Label, resolver: FramesResolver, signal: AbortSignal): Promise<V1Label> {
  const frames: V1Frame[] = []
  for await (const frame of resolver.frames(label, signal)) frames.push(frame)
  return { ...label, Label: { ...(label.Label as V1LabelContent), frames } }
}
