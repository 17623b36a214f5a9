export {PROJECT_NAME, checkProjectName, defaultProjectName, folderState, planScaffold, scaffoldProject, targetPath} from './scaffold.js'
export type {PlannedFile, ScaffoldParameters, ScaffoldResult} from './scaffold.js'
export {TEMPLATE_META, listTemplates, templateDir, templateFiles, templatesDir, toolVersion} from './templates.js'
export type {TemplateInfo} from './templates.js'
