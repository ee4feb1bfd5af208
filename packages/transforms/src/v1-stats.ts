/**
 * What v1LabelsToDataRows saw that the v2 records cannot show, for the caller to report. Plain data;
 * keyed counts are null-prototype records (an exported key such as `constructor` cannot collide).
 */
export interface V1ConvertStats {
  /** Labels converted. */
  readonly labels: number
  /** v2 data rows produced (one per data row id). */
  readonly dataRows: number
  /** Labels by the media labelpipe decided on (`image`, `geospatial`, `text`, `document`, `video`). */
  readonly labelsByMedia: Readonly<Record<string, number>>
  /**
   * Labels whose media type is not one labelpipe maps, by that type (`(none)` when nothing says and the
   * annotations do not tell): converted with the generic mapping, objects without annotation_kind.
   */
  readonly unknownMediaTypes: Readonly<Record<string, number>>
  /** Object keys dropped on purpose, by key (`color`, `instanceURI` beside another geometry, ...; see the transforms README). */
  readonly droppedObjectKeys: Readonly<Record<string, number>>
  /** Label keys with no v2 field (`View Label`, `Benchmark ID`, `Data Split`, ...), by key: not loaded. */
  readonly unmappedLabelKeys: Readonly<Record<string, number>>
  /** Classification lists nested in a list (highly_nested_image.json): flattened one level. */
  readonly nestedClassificationLists: number
  /** Video labels whose `Label` still holds a frames URL (no frames resolver ran): converted without frames. */
  readonly videoLabelsWithoutFrames: number
  /** Frame objects read from v1 video frames. */
  readonly frameObjects: number
  /** A feature drawn twice in one frame: the last one is kept (v2's frames map has one object per feature). */
  readonly duplicateFrameObjects: number
}

export class V1Counters implements V1ConvertStats {
  labels = 0
  dataRows = 0
  readonly labelsByMedia: Record<string, number> = Object.create(null)
  readonly unknownMediaTypes: Record<string, number> = Object.create(null)
  readonly droppedObjectKeys: Record<string, number> = Object.create(null)
  readonly unmappedLabelKeys: Record<string, number> = Object.create(null)
  nestedClassificationLists = 0
  videoLabelsWithoutFrames = 0
  frameObjects = 0
  duplicateFrameObjects = 0
}
