// First: it settles colour before ink (and chalk) load.
import './ink-color.js'

import {Box, type Key, Text, render, useApp, useInput} from 'ink'
import {useEffect, useReducer} from 'react'

import type {TemplateInfo} from '../init/templates.js'

export type WizardAnswers = {template: string; name: string}

export type InitWizardProps = {
  templates: TemplateInfo[]
  initialTemplate?: string
  /** The folder's name when one was given; otherwise the project name picks the folder. */
  dir?: string
  initialName: (template: string) => string
  validateName: (name: string) => string | undefined
  preview: (template: string, name: string) => string[]
  onDone: (answers: WizardAnswers | null) => void
}

type Step = 'template' | 'name' | 'preview'

type WizardState = {step: Step; index: number; name: string; error?: string; outcome?: {answers: WizardAnswers | null}}
type KeyPress = {input: string; key: Key}

/**
 * One key press applied to the wizard's state. A reducer rather than state read in the input
 * handler: keys that arrive before React has re-rendered (a paste, a loaded machine) each see the
 * state the previous key left, never the state of the last render.
 */
function step(props: InitWizardProps, s: WizardState, {input, key}: KeyPress): WizardState {
  if (s.outcome) return s
  const template = props.templates[s.index]
  if (key.escape || (key.ctrl && input === 'c')) {
    if (s.step === 'template' || (key.ctrl && input === 'c')) return {...s, outcome: {answers: null}}
    return {...s, step: s.step === 'preview' ? 'name' : 'template'}
  }
  if (s.step === 'template') {
    const n = props.templates.length
    if (key.upArrow) return {...s, index: (s.index + n - 1) % n}
    if (key.downArrow || key.tab) return {...s, index: (s.index + 1) % n}
    if (key.return) return {...s, name: props.initialName(template.name), error: undefined, step: 'name'}
    return s
  }
  if (s.step === 'name') {
    if (key.return) {
      const problem = props.validateName(s.name)
      return {...s, error: problem, step: problem ? 'name' : 'preview'}
    }
    if (key.backspace || key.delete) return {...s, name: s.name.slice(0, -1)}
    if (input && !key.ctrl && !key.meta) return {...s, name: (s.name + input).replace(/[\r\n]/g, '')}
    return s
  }
  if (key.return || input === 'y') return {...s, outcome: {answers: {template: template.name, name: s.name}}}
  return s
}

export function InitWizard(props: InitWizardProps) {
  const {exit} = useApp()
  const start = Math.max(
    0,
    props.templates.findIndex((t) => t.name === props.initialTemplate),
  )
  const [state, dispatch] = useReducer((s: WizardState, k: KeyPress) => step(props, s, k), {step: 'template', index: start, name: ''})
  const {index, name, error, outcome} = state
  const template = props.templates[index]

  useEffect(() => {
    if (!outcome) return
    props.onDone(outcome.answers)
    exit()
  }, [outcome])

  useInput((input, key) => dispatch({input, key}))

  return (
    <Box flexDirection="column" paddingY={1}>
      <Text bold>openledger init</Text>
      {state.step === 'template' && (
        <Box flexDirection="column" marginTop={1}>
          <Text>Pick a template (↑/↓, enter):</Text>
          {props.templates.map((t, i) => (
            <Text key={t.name} color={i === index ? 'cyan' : undefined}>
              {i === index ? '❯ ' : '  '}
              {t.name.padEnd(20)}
              <Text dimColor>{t.description}</Text>
            </Text>
          ))}
        </Box>
      )}
      {state.step === 'name' && (
        <Box flexDirection="column" marginTop={1}>
          <Text>
            Template: <Text color="cyan">{template.name}</Text>
          </Text>
          <Text>
            Project name: <Text color="cyan">{name}</Text>
            <Text inverse> </Text>
          </Text>
          {error ? <Text color="red">{error}</Text> : <Text dimColor>enter to continue, esc to go back</Text>}
        </Box>
      )}
      {state.step === 'preview' && (
        <Box flexDirection="column" marginTop={1}>
          <Text>
            {template.name} → <Text color="cyan">{props.dir ?? name}/</Text>
          </Text>
          {props.preview(template.name, name).map((f) => (
            <Text key={f} dimColor>
              {'  '}
              {f}
            </Text>
          ))}
          <Text>Create it? (enter / y; esc to go back)</Text>
        </Box>
      )}
    </Box>
  )
}

/** Runs the wizard on the terminal; null when the user cancelled. */
export async function runInitWizard(props: Omit<InitWizardProps, 'onDone'>): Promise<WizardAnswers | null> {
  let answers: WizardAnswers | null = null
  const app = render(<InitWizard {...props} onDone={(a) => (answers = a)} />, {exitOnCtrlC: false})
  await app.waitUntilExit()
  return answers
}
