/**
 * Container names as docker makes and checks them: `--name` must match
 * `[a-zA-Z0-9][a-zA-Z0-9_.-]+` (a leading '/' is allowed and dropped), and a container
 * without one gets `adjective_surname` — a mood and a scientist or engineer — with a
 * random digit appended when the first tries collide.
 */
import { randomInt } from 'node:crypto';
import { alreadyExists, invalidArgument, type StrataError } from '../errdefs/index.ts';
import { randomHexId } from '../internal/index.ts';

const MOODS = [
  'admiring', 'adoring', 'affectionate', 'agitated', 'amazing', 'angry', 'awesome', 'beautiful', 'blissful', 'bold',
  'brave', 'busy', 'calm', 'charming', 'cheerful', 'clever', 'cool', 'compassionate', 'confident', 'cranky', 'curious',
  'dazzling', 'determined', 'diligent', 'dreamy', 'eager', 'ecstatic', 'elastic', 'elated', 'elegant', 'eloquent',
  'epic', 'exciting', 'fervent', 'festive', 'flamboyant', 'focused', 'friendly', 'frosty', 'funny', 'gallant', 'gifted',
  'goofy', 'gracious', 'great', 'happy', 'hardcore', 'heuristic', 'hopeful', 'hungry', 'infallible', 'inspiring',
  'intelligent', 'interesting', 'jolly', 'jovial', 'keen', 'kind', 'laughing', 'loving', 'lucid', 'magical', 'modest',
  'musing', 'mystifying', 'naughty', 'nervous', 'nice', 'nifty', 'nostalgic', 'objective', 'optimistic', 'peaceful',
  'pedantic', 'pensive', 'practical', 'priceless', 'quirky', 'quizzical', 'recursing', 'relaxed', 'reverent', 'romantic',
  'sad', 'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange', 'stupefied', 'suspicious', 'sweet', 'tender',
  'thirsty', 'trusting', 'unruffled', 'upbeat', 'vibrant', 'vigilant', 'vigorous', 'wizardly', 'wonderful', 'xenodochial',
  'youthful', 'zealous', 'zen',
];

const SCIENTISTS = [
  'agnesi', 'albattani', 'allen', 'archimedes', 'babbage', 'banach', 'bardeen', 'bartik', 'bell', 'bhabha', 'blackwell',
  'bohr', 'booth', 'borg', 'bose', 'brahmagupta', 'brattain', 'burnell', 'cannon', 'carson', 'cerf', 'chandrasekhar',
  'clarke', 'cohen', 'cori', 'cray', 'curie', 'darwin', 'davinci', 'dijkstra', 'dirac', 'easley', 'einstein', 'elion',
  'engelbart', 'euclid', 'euler', 'faraday', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gauss', 'germain',
  'goldberg', 'goodall', 'hamilton', 'hawking', 'heisenberg', 'hertz', 'hodgkin', 'hopper', 'hypatia', 'jackson',
  'jemison', 'johnson', 'kalam', 'kepler', 'kilby', 'knuth', 'kowalevski', 'lamarr', 'lamport', 'leakey', 'leavitt',
  'lovelace', 'lumiere', 'maxwell', 'mccarthy', 'mcclintock', 'meitner', 'mendel', 'mirzakhani', 'morse', 'newton',
  'nightingale', 'nobel', 'noether', 'noyce', 'pascal', 'pasteur', 'payne', 'perlman', 'pike', 'planck', 'poincare',
  'raman', 'ramanujan', 'ride', 'ritchie', 'roentgen', 'rubin', 'sagan', 'shannon', 'shockley', 'stallman', 'swartz',
  'tesla', 'thompson', 'torvalds', 'turing', 'volta', 'wiles', 'wilson', 'wing', 'wozniak', 'wright', 'yalow', 'yonath',
];

const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * A docker-style generated name. `attempt` > 0 appends a random digit, as docker does
 * when a generated name is taken.
 */
export function generateName(attempt = 0): string {
  const name = `${MOODS[randomInt(MOODS.length)]}_${SCIENTISTS[randomInt(SCIENTISTS.length)]}`;
  return attempt > 0 ? `${name}${randomInt(10)}` : name;
}

/**
 * Checks a `--name` value and returns it without a leading '/'.
 * @throws invalid-argument `Invalid container name (x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`
 */
export function validateName(name: string): string {
  if (!VALID_NAME.test(name)) throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.startsWith('/') ? name.slice(1) : name;
}

/**
 * The name of a new container: `requested` checked, else a generated one that `taken`
 * says is free (a random suffix after ten collisions).
 */
export function uniqueName(requested: string | undefined, taken: (name: string) => boolean): string {
  if (requested !== undefined) return validateName(requested);
  for (let attempt = 0; attempt < 10; attempt++) {
    const name = generateName(attempt);
    if (!taken(name)) return name;
  }
  return `${generateName(1)}${randomHexId().slice(0, 4)}`;
}

/** docker's error for a name another container has. */
export function nameConflict(name: string, id: string): StrataError {
  return alreadyExists(`Conflict. The container name "/${name}" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`);
}

/** The word lists, for tests. */
export const NAME_WORDS = { moods: MOODS, scientists: SCIENTISTS } as const;
