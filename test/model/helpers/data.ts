import {createHash} from 'node:crypto'

import type {TrainSource} from '../../../src/model/datanet-source.js'

const TOPICS: Record<string, {subjects: string[]; verbs: string[]; objects: string[]}> = {
  sports: {
    subjects: ['the striker', 'our goalkeeper', 'the home team', 'the coach', 'the tennis champion', 'the league leaders'],
    verbs: ['scored in', 'celebrated after', 'trained hard before', 'was injured during', 'lost badly in'],
    objects: ['the final match', 'the championship game', 'the second half', 'the football tournament', 'extra time at the stadium'],
  },
  finance: {
    subjects: ['the central bank', 'investors', 'the stock market', 'the treasury', 'our accountant', 'the mortgage lender'],
    verbs: ['raised', 'worried about', 'reported', 'cut', 'borrowed against'],
    objects: ['interest rates', 'quarterly earnings', 'the loan payments', 'inflation and bond yields', 'the credit card debt'],
  },
  weather: {
    subjects: ['heavy rain', 'the storm', 'a cold front', 'strong winds', 'the forecast', 'thick fog'],
    verbs: ['flooded', 'swept across', 'brought snow to', 'delayed flights over', 'cooled'],
    objects: ['the coastal towns', 'the northern valleys', 'the mountains overnight', 'the city this morning', 'the farms with hail'],
  },
}

export const CONTRIBUTORS = [
  '0x1111111111111111111111111111111111111111',
  '0x2222222222222222222222222222222222222222',
  '0x3333333333333333333333333333333333333333',
]

/** Deterministic short sentences in three topics, shaped as a verified datanet version. */
export function topicSource(perTopic = 40, name = 'news'): TrainSource {
  const records: TrainSource['records'] = []
  for (const [label, t] of Object.entries(TOPICS)) {
    for (let i = 0; i < perTopic; i++) {
      const text = `${t.subjects[i % t.subjects.length]} ${t.verbs[(i * 7 + 1) % t.verbs.length]} ${t.objects[(i * 3 + 2) % t.objects.length]} (${i})`
      const fields = {text, label}
      const recordHash = '0x' + createHash('sha256').update(JSON.stringify(fields)).digest('hex')
      records.push({recordHash, contributor: CONTRIBUTORS[i % CONTRIBUTORS.length], fields})
    }
  }
  return {name, datanetId: '1', version: 1, root: '0x' + 'ab'.repeat(32), records}
}
