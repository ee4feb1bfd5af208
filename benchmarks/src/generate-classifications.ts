import type { GenerateContext } from './generate-context.js'
import type { QuestionDef } from './generate-ontology.js'

// Classification JSON as formats.md describes it: feature_id, feature_schema_id, name, value and exactly
// one of radio_answer / checklist_answers / text_answer; answers nest further questions recursively.
// Every answer written adds 1 to ctx.answers (radio 1, checklist 1 per selected option, text 1), the
// unit of the classifications table; the caller decides which count it belongs to.

/** How likely a nested question under a chosen option is answered. */
const NESTED_ANSWER_RATE = 0.6

/** A JSON array of answers to some of `questions`, each asked with probability `askRate`. */
export function classificationsJson(ctx: GenerateContext, questions: readonly QuestionDef[], askRate: number, epochMs: number): string {
  let json = '['
  for (const question of questions) {
    if (!ctx.rng.chance(askRate)) continue
    if (json.length > 1) json += ','
    json += classificationJson(ctx, question, epochMs)
  }
  return `${json}]`
}

function classificationJson(ctx: GenerateContext, question: QuestionDef, epochMs: number): string {
  const { rng, ids } = ctx
  const head = `{"feature_id":"${ids.next(epochMs)}",${question.json}`
  switch (question.kind) {
    case 'radio': {
      const option = rng.pick(question.options)
      ctx.answers++
      const nested = classificationsJson(ctx, option.nested, NESTED_ANSWER_RATE, epochMs)
      return `${head},"radio_answer":{"feature_id":"${ids.next(epochMs)}",${option.json},"classifications":${nested}}}`
    }
    case 'checklist': {
      // At least one option: a checklist question with no selection is not exported as answered.
      const first = rng.int(question.options.length)
      let answers = ''
      question.options.forEach((option, index) => {
        if (index !== first && !rng.chance(0.35)) return
        ctx.answers++
        const nested = classificationsJson(ctx, option.nested, NESTED_ANSWER_RATE, epochMs)
        answers += `${answers === '' ? '' : ','}{"feature_id":"${ids.next(epochMs)}",${option.json},"classifications":${nested}}`
      })
      return `${head},"checklist_answers":[${answers}]}`
    }
    case 'text':
      ctx.answers++
      return `${head},"text_answer":{"content":${rng.pick(ctx.world.textsJson)}}}`
  }
}
