// Baseline "the tool a data engineer would reach for" (issue 7): DuckDB reads the v2 NDJSON and writes the
// frame-level table (one row per label, frame and feature of `projects.*.labels[*].annotations.frames`, with the
// box and point columns of frame_objects) to Parquet, on all cores. The columns are typed up front: issue 7
// measured read_json_auto at 12.6 GB RSS on 100 MB, and untyped json_each over the frames 14 GB on 30 MB here.
// Run: node benchmarks/dist/baseline-duckdb.js FILE OUT.parquet; prints {"rows": n}.
import { DuckDBInstance } from '@duckdb/node-api'

const [file, out] = process.argv.slice(2)
if (file === undefined || out === undefined) throw new Error('usage: baseline-duckdb FILE OUT.parquet')
const quoted = (text: string) => `'${text.replaceAll("'", "''")}'`

const object = `STRUCT(feature_schema_id VARCHAR, name VARCHAR, annotation_kind VARCHAR,
  bounding_box STRUCT("top" DOUBLE, "left" DOUBLE, height DOUBLE, width DOUBLE), point STRUCT(x DOUBLE, y DOUBLE))`
const label = `STRUCT(id VARCHAR, annotations STRUCT(frames MAP(VARCHAR, STRUCT(objects MAP(VARCHAR, ${object})))))`
const projects = `MAP(VARCHAR, STRUCT(labels ${label}[]))`
const sql = `
COPY (
  WITH rows AS (
    SELECT data_row.id AS data_row_id, projects
      FROM read_json(${quoted(file)}, format = 'newline_delimited', maximum_object_size = 1073741824,
                     columns = {data_row: 'STRUCT(id VARCHAR)', projects: ${quoted(projects)}})
  ),
  projects AS (SELECT data_row_id, unnest(map_values(projects)) AS project FROM rows),
  labels AS (SELECT data_row_id, unnest(project.labels) AS label FROM projects),
  frames AS (SELECT data_row_id, label.id AS label_id, unnest(map_entries(label.annotations.frames)) AS frame FROM labels),
  objects AS (
    SELECT data_row_id, label_id, CAST(frame.key AS INTEGER) AS frame, unnest(map_entries(frame.value.objects)) AS object FROM frames
  )
  SELECT label_id, frame, object.key AS feature_id, data_row_id, object.value.feature_schema_id AS schema_id,
         object.value.name AS name, object.value.annotation_kind AS annotation_kind,
         object.value.bounding_box."top" AS bbox_top, object.value.bounding_box."left" AS bbox_left,
         object.value.bounding_box.height AS bbox_height, object.value.bounding_box.width AS bbox_width,
         object.value.point.x AS point_x, object.value.point.y AS point_y
    FROM objects
) TO ${quoted(out)} (FORMAT parquet)`

const instance = await DuckDBInstance.create(':memory:')
const connection = await instance.connect()
const result = await connection.run(sql)
process.stdout.write(`${JSON.stringify({ rows: Number(result.rowsChanged) })}\n`)
