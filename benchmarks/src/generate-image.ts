import { classificationsJson } from './generate-classifications.js'
import type { GenerateContext } from './generate-context.js'
import type { ToolDef } from './generate-ontology.js'
import { coord3 } from './generate-text.js'

// Non-frame media annotations (formats.md): {objects[], classifications[], relationships[]}. Objects carry
// one geometry key and nested classifications; relationships link two objects of the same label.

/** Tool indexes weighted like a street-scene project: boxes dominate, masks are rare. */
const TOOL_WEIGHTS = [0, 0, 0, 0, 1, 1, 2, 3, 4, 4, 5, 6]
/** Objects per label, weighted: mostly a handful, occasionally none or a crowded scene. */
const OBJECT_COUNTS = [0, 1, 1, 1, 1, 2, 2, 2, 3, 5]

export function imageAnnotationsJson(ctx: GenerateContext, width: number, height: number, projectId: string, epochMs: number): string {
  const { rng, ids, counts, world } = ctx
  const { tools, global } = world.image.ontology
  const objectCount = rng.pick(OBJECT_COUNTS)
  const featureIds: string[] = []
  let objects = ''
  for (let i = 0; i < objectCount; i++) {
    const tool = tools[rng.pick(TOOL_WEIGHTS)] as ToolDef
    const featureId = ids.next(epochMs)
    featureIds.push(featureId)
    const before = ctx.answers
    const nested = classificationsJson(ctx, tool.nested, 0.35, epochMs)
    counts.classifications += ctx.answers - before
    objects += `${i === 0 ? '' : ','}{"feature_id":"${featureId}",${tool.json},"classifications":${nested},${geometryJson(ctx, tool, width, height, projectId, featureId)}}`
  }
  counts.objects += objectCount

  const before = ctx.answers
  const classifications = classificationsJson(ctx, global, 0.3, epochMs)
  counts.classifications += ctx.answers - before

  let relationships = ''
  if (featureIds.length >= 2 && rng.chance(0.3)) {
    const n = rng.between(1, 2)
    for (let i = 0; i < n; i++) {
      const source = rng.int(featureIds.length)
      const target = (source + 1 + rng.int(featureIds.length - 1)) % featureIds.length
      const kind = rng.pick(world.relationships)
      relationships += `${i === 0 ? '' : ','}{${kind.json},"feature_id":"${ids.next(epochMs)}","source":"${featureIds[source]}","target":"${featureIds[target]}","type":"${kind.type}"}`
    }
    counts.relationships += n
  }
  return `{"objects":[${objects}],"classifications":${classifications},"relationships":[${relationships}]}`
}

function geometryJson(ctx: GenerateContext, tool: ToolDef, width: number, height: number, projectId: string, featureId: string): string {
  const { rng } = ctx
  switch (tool.geometry) {
    case 'bbox': {
      const w = rng.float(12, width / 3)
      const h = rng.float(12, height / 3)
      return `"bounding_box":{"top":${coord3(rng.float(0, height - h))},"left":${coord3(rng.float(0, width - w))},"height":${coord3(h)},"width":${coord3(w)}}`
    }
    case 'polygon': {
      // A star-shaped ring around a centre, closed by repeating the first vertex as the SDK's export does.
      const n = rng.between(4, 14)
      const cx = rng.float(width * 0.2, width * 0.8)
      const cy = rng.float(height * 0.2, height * 0.8)
      const radius = rng.float(20, Math.min(width, height) / 4)
      let first = ''
      let points = ''
      for (let i = 0; i < n; i++) {
        const angle = (i / n) * 2 * Math.PI
        const r = radius * rng.float(0.6, 1)
        const point = `{"x":${coord3(cx + r * Math.cos(angle))},"y":${coord3(cy + r * Math.sin(angle))}}`
        if (i === 0) first = point
        points += `${point},`
      }
      return `"polygon":[${points}${first}]`
    }
    case 'line': {
      const n = rng.between(2, 7)
      let x = rng.float(0, width)
      let y = rng.float(height * 0.5, height)
      let points = ''
      for (let i = 0; i < n; i++) {
        points += `${i === 0 ? '' : ','}{"x":${coord3(x)},"y":${coord3(y)}}`
        x = Math.min(width, Math.max(0, x + rng.float(-80, 80)))
        y = Math.max(0, y - rng.float(10, 120))
      }
      return `"line":[${points}]`
    }
    case 'point':
      return `"point":{"x":${coord3(rng.float(0, width))},"y":${coord3(rng.float(0, height))}}`
    case 'mask':
      return `"mask":{"url":"https://api.labelbox.com/api/v1/projects/${projectId}/annotations/${featureId}/index/1/mask"}`
  }
}
