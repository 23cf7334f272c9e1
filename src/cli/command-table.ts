/**
 * Every command strata has, with docker's names, usage lines and flags. Implementations
 * are imported only when their command runs.
 */
import { FORMAT_HELP, FORMAT_HELP_INSPECT, type CommandSpec, type GroupSpec } from './spec.ts';

const PLATFORM_HELP = 'Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")';

export const GROUPS: GroupSpec[] = [
  { name: 'image', description: 'Manage images' },
  { name: 'system', description: 'Manage strata' },
  { name: 'manifest', description: 'Manage Docker image manifests and manifest lists' },
];

export const COMMANDS: CommandSpec[] = [
  {
    paths: [['image', 'ls'], ['image', 'list'], ['images']],
    usage: '[OPTIONS] [REPOSITORY[:TAG]]',
    description: 'List images',
    maxArgs: 1,
    options: [
      { long: 'all', short: 'a', type: 'bool', description: 'Show all images (default hides intermediate images)' },
      { long: 'digests', type: 'bool', description: 'Show digests' },
      { long: 'filter', short: 'f', type: 'list', valueName: 'filter', description: 'Filter output based on conditions provided' },
      { long: 'format', type: 'string', valueName: 'string', description: FORMAT_HELP },
      { long: 'no-trunc', type: 'bool', description: "Don't truncate output" },
      { long: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
    ],
    load: async () => (await import('./commands/image-views.ts')).images,
  },
  {
    paths: [['image', 'history'], ['history']],
    usage: '[OPTIONS] IMAGE',
    description: 'Show the history of an image',
    exactArgs: 1,
    options: [
      { long: 'format', type: 'string', valueName: 'string', description: FORMAT_HELP },
      { long: 'human', short: 'H', type: 'bool', default: true, description: 'Print sizes and dates in human readable format' },
      { long: 'no-trunc', type: 'bool', description: "Don't truncate output" },
      { long: 'platform', type: 'string', valueName: 'string', description: `Show history for the given platform. ${PLATFORM_HELP}` },
      { long: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
    ],
    load: async () => (await import('./commands/image-views.ts')).history,
  },
  {
    paths: [['image', 'inspect']],
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Display detailed information on one or more images',
    minArgs: 1,
    options: [
      { long: 'format', short: 'f', type: 'string', valueName: 'string', description: FORMAT_HELP_INSPECT },
      { long: 'platform', type: 'string', valueName: 'string', description: `Inspect a specific platform of the multi-platform image. ${PLATFORM_HELP}` },
    ],
    load: async () => (await import('./commands/image-views.ts')).imageInspect,
  },
  {
    paths: [['inspect']],
    usage: '[OPTIONS] NAME|ID [NAME|ID...]',
    description: 'Return low-level information on strata objects',
    minArgs: 1,
    options: [
      { long: 'format', short: 'f', type: 'string', valueName: 'string', description: FORMAT_HELP_INSPECT },
      { long: 'size', short: 's', type: 'bool', description: 'Display total file sizes if the type is container' },
      { long: 'type', type: 'string', valueName: 'string', description: 'Only inspect objects of the given type' },
    ],
    load: async () => (await import('./commands/image-views.ts')).inspect,
  },
  {
    paths: [['image', 'import'], ['import']],
    usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
    description: 'Import the contents from a tarball to create a filesystem image',
    minArgs: 1,
    maxArgs: 2,
    options: [
      { long: 'change', short: 'c', type: 'list', valueName: 'list', description: 'Apply Dockerfile instruction to the created image' },
      { long: 'message', short: 'm', type: 'string', valueName: 'string', description: 'Set commit message for imported image' },
      { long: 'platform', type: 'string', valueName: 'string', description: 'Set platform if server is multi-platform capable' },
    ],
    load: async () => (await import('./commands/image-transfer.ts')).importImage,
  },
  {
    paths: [['image', 'load'], ['load']],
    usage: '[OPTIONS]',
    description: 'Load an image from a tar archive or STDIN',
    exactArgs: 0,
    options: [
      { long: 'input', short: 'i', type: 'string', valueName: 'string', description: 'Read from tar archive file, instead of STDIN' },
      { long: 'platform', type: 'string', valueName: 'string', description: `Load only the given platform variant. ${PLATFORM_HELP}` },
      { long: 'quiet', short: 'q', type: 'bool', description: 'Suppress the load output' },
    ],
    load: async () => (await import('./commands/image-transfer.ts')).load,
  },
  {
    paths: [['image', 'save'], ['save']],
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    minArgs: 1,
    options: [
      { long: 'output', short: 'o', type: 'string', valueName: 'string', description: 'Write to a file, instead of STDOUT' },
      { long: 'platform', type: 'string', valueName: 'string', description: `Save only the given platform variant. ${PLATFORM_HELP}` },
    ],
    load: async () => (await import('./commands/image-transfer.ts')).save,
  },
  {
    paths: [['image', 'tag'], ['tag']],
    usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
    description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    exactArgs: 2,
    options: [],
    load: async () => (await import('./commands/image-names.ts')).tag,
  },
  {
    paths: [['image', 'rm'], ['image', 'remove'], ['rmi']],
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Remove one or more images',
    minArgs: 1,
    options: [
      { long: 'force', short: 'f', type: 'bool', description: 'Force removal of the image' },
      { long: 'no-prune', type: 'bool', description: 'Do not delete untagged parents' },
    ],
    load: async () => (await import('./commands/image-names.ts')).rmi,
  },
  {
    paths: [['image', 'prune']],
    usage: '[OPTIONS]',
    description: 'Remove unused images',
    exactArgs: 0,
    options: [
      { long: 'all', short: 'a', type: 'bool', description: 'Remove all unused images, not just dangling ones' },
      { long: 'filter', type: 'list', valueName: 'filter', description: 'Provide filter values (e.g. "until=<timestamp>")' },
      { long: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    ],
    load: async () => (await import('./commands/image-names.ts')).imagePrune,
  },
  {
    paths: [['image', 'pull'], ['pull']],
    usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
    description: 'Download an image from a registry',
    exactArgs: 1,
    options: [
      { long: 'all-tags', short: 'a', type: 'bool', description: 'Download all tagged images in the repository' },
      { long: 'disable-content-trust', type: 'bool', default: true, hidden: true, description: 'Skip image verification (deprecated)' },
      { long: 'max-concurrent-downloads', type: 'int', valueName: 'int', default: 3, description: 'Maximum number of layers downloaded at once' },
      { long: 'platform', type: 'string', valueName: 'string', description: 'Set platform if server is multi-platform capable' },
      { long: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
    ],
    load: async () => (await import('./commands/registry.ts')).pull,
  },
  {
    paths: [['image', 'push'], ['push']],
    usage: '[OPTIONS] NAME[:TAG]',
    description: 'Upload an image to a registry',
    exactArgs: 1,
    options: [
      { long: 'all-tags', short: 'a', type: 'bool', description: 'Push all tags of an image to the repository' },
      { long: 'disable-content-trust', type: 'bool', default: true, hidden: true, description: 'Skip image signing (deprecated)' },
      { long: 'max-concurrent-uploads', type: 'int', valueName: 'int', default: 5, description: 'Maximum number of layers uploaded at once' },
      { long: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
    ],
    load: async () => (await import('./commands/registry.ts')).push,
  },
  {
    paths: [['login']],
    usage: '[OPTIONS] [SERVER]',
    description: 'Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.',
    maxArgs: 1,
    options: [
      { long: 'password', short: 'p', type: 'string', valueName: 'string', description: 'Password or Personal Access Token (PAT)' },
      { long: 'password-stdin', type: 'bool', description: 'Take the Password or Personal Access Token (PAT) from stdin' },
      { long: 'username', short: 'u', type: 'string', valueName: 'string', description: 'Username' },
    ],
    load: async () => (await import('./commands/registry.ts')).login,
  },
  {
    paths: [['logout']],
    usage: '[SERVER]',
    description: 'Log out from a registry.\nIf no server is specified, the default is defined by the daemon.',
    maxArgs: 1,
    options: [],
    load: async () => (await import('./commands/registry.ts')).logout,
  },
  {
    paths: [['manifest', 'inspect']],
    usage: '[OPTIONS] [MANIFEST_LIST] MANIFEST',
    description: 'Display an image manifest, or manifest list',
    minArgs: 1,
    maxArgs: 2,
    options: [
      { long: 'insecure', type: 'bool', description: 'Allow communication with an insecure registry' },
      { long: 'verbose', short: 'v', type: 'bool', description: 'Output additional info including layers and platform' },
    ],
    load: async () => (await import('./commands/registry.ts')).manifestInspect,
  },
  {
    paths: [['system', 'df']],
    usage: '[OPTIONS]',
    description: 'Show strata disk usage',
    exactArgs: 0,
    options: [
      { long: 'format', type: 'string', valueName: 'string', description: FORMAT_HELP },
      { long: 'verbose', short: 'v', type: 'bool', description: 'Show detailed information on space usage' },
    ],
    load: async () => (await import('./commands/system.ts')).df,
  },
  {
    paths: [['system', 'check']],
    usage: '[OPTIONS]',
    description: 'Verify the store: blob digests, records and their references',
    exactArgs: 0,
    options: [{ long: 'repair', type: 'bool', description: 'Remove partial writes and unreferenced data left by interrupted commands' }],
    load: async () => (await import('./commands/system.ts')).check,
  },
  {
    paths: [['version']],
    usage: '[OPTIONS]',
    description: 'Show the strata version information',
    exactArgs: 0,
    options: [{ long: 'format', short: 'f', type: 'string', valueName: 'string', description: FORMAT_HELP_INSPECT }],
    load: async () => (await import('./commands/system.ts')).version,
  },
  {
    paths: [['system', 'info'], ['info']],
    usage: '[OPTIONS]',
    description: 'Display system-wide information',
    exactArgs: 0,
    options: [{ long: 'format', short: 'f', type: 'string', valueName: 'string', description: FORMAT_HELP_INSPECT }],
    load: async () => (await import('./commands/system.ts')).info,
  },
];
