import type { V1Label, V1LabelContent, V1Object } from '@labelpipe/core'
import type { V1Media } from './v1-annotations.js'

// v1 has no media type field in most files (formats.md "Export v1"); labelpipe decides it, first match wins:
//   1. `Label` is a list of frames, or holds `frames` (a URL or the resolved list): video;
//   2. what the label states: `media_type` (unkown_media_type_export.json), else `Media Attributes`
//      `assetType`, else the major type of its `mimeType` (application/pdf: document);
//   3. what the objects hold: `data.location` -> text; `page` -> document; `type` + `geometry` (map
//      coordinates) or `Labeled Data` holding a tile layer (tiled_image_export.json) -> geospatial; a
//      bbox / polygon / line / point / instanceURI -> image;
//   4. otherwise unknown (a label with only classifications, or a type labelpipe does not map): converted
//      with the same generic mapping, objects without annotation_kind, counted in stats.unknownMediaTypes.

const statedTypes: Readonly<Record<string, V1Media>> = {
  image: 'image',
  video: 'video',
  text: 'text',
  document: 'document',
  pdf: 'document',
  geospatial: 'geospatial',
  tiled_imagery: 'geospatial',
  tms_geo: 'geospatial',
}

/** The media of one label and, when labelpipe does not map it, the stated type to count it under. */
export interface DecidedMedia {
  readonly media: V1Media
  readonly unknownType: string | null
}

export function decideMedia(label: V1Label): DecidedMedia {
  const content = label.Label
  if (Array.isArray(content) || (content as V1LabelContent).frames != null) return { media: 'video', unknownType: null }
  const stated = statedType(label)
  if (stated !== null) {
    const media = statedTypes[stated.toLowerCase()]
    if (media !== undefined) return { media, unknownType: null }
    if (stated !== 'application') return { media: 'unknown', unknownType: stated }
  }
  const inferred = inferFromObjects((content as V1LabelContent).objects ?? [], label['Labeled Data'])
  return inferred === 'unknown' ? { media: 'unknown', unknownType: stated ?? '(none)' } : { media: inferred, unknownType: null }
}

function statedType(label: V1Label): string | null {
  if (label.media_type != null) return label.media_type
  const attributes = label['Media Attributes'] as Record<string, unknown> | null | undefined
  const assetType = attributes?.assetType
  if (typeof assetType === 'string') return assetType
  const mimeType = attributes?.mimeType
  if (typeof mimeType !== 'string') return null
  if (mimeType === 'application/pdf') return 'pdf'
  const slash = mimeType.indexOf('/')
  return slash > 0 ? mimeType.slice(0, slash) : null
}

function inferFromObjects(objects: readonly V1Object[], labeledData: string | null | undefined): V1Media {
  let image = false
  for (const object of objects) {
    if (object.data?.location != null) return 'text'
    if (object.page != null) return 'document'
    if (object.geometry != null) return 'geospatial'
    if (object.bbox != null || object.polygon != null || object.line != null || object.point != null || object.instanceURI != null)
      image = true
  }
  // Tiled imagery keeps its tile layer description, JSON, in `Labeled Data`.
  if (labeledData?.includes('"tileLayerUrl"')) return 'geospatial'
  return image ? 'image' : 'unknown'
}
