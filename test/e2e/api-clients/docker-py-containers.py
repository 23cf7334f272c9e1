# docker-py (python3-docker) against strata's service: containers.run (attached and
# detached), attach, logs (streamed, split streams, timestamps), exec_run, put_archive and
# get_archive, commit, wait, remove. Prints what it saw, one line a step; the test compares.
import io
import sys
import tarfile

import docker

image = sys.argv[1]
client = docker.from_env()

print('run', client.containers.run(image, ['sh', '-c', 'echo hello from py'], remove=True))
try:
    client.containers.run(image, ['sh', '-c', 'echo failing >&2; exit 4'], remove=True)
except docker.errors.ContainerError as e:
    print('run failed', e.exit_status, e.stderr)

c = client.containers.run(image, ['sh', '-c', 'echo one; echo two >&2; while [ ! -f /tmp/go ]; do sleep 0.05; done; echo three'], detach=True, name='py-detached')
stream = c.attach(stream=True, logs=True, stdout=True, stderr=True)
print('attach first', next(stream))
# The second line is in the log once attach has shown it.
print('attach second', next(stream))
print('logs stdout', c.logs(stdout=True, stderr=False))
print('logs stderr', c.logs(stdout=False, stderr=True))
print('logs timestamps', c.logs(timestamps=True, stdout=True, stderr=False).decode().split(' ', 1)[1].strip())
r = c.exec_run(['sh', '-c', 'echo exec-out; exit 2'])
print('exec', r.exit_code, r.output)
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w') as tar:
    data = b'put by docker-py\n'
    info = tarfile.TarInfo('py.txt')
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
print('put_archive', c.put_archive('/tmp', buf.getvalue()))
bits, stat = c.get_archive('/tmp/py.txt')
with tarfile.open(fileobj=io.BytesIO(b''.join(bits))) as tar:
    print('get_archive', stat['name'], stat['size'], tar.extractfile('py.txt').read())
follow = c.logs(stream=True, follow=True, stdout=True, stderr=False)
print('follow first', next(follow))
c.exec_run(['touch', '/tmp/go'])
print('follow rest', b''.join(follow))
print('wait', c.wait())
committed = c.commit(repository='py/committed', tag='1', message='from docker-py', changes=['CMD ["cat", "/tmp/py.txt"]'])
print('commit', committed.tags, client.containers.run('py/committed:1', remove=True))
c.remove()
print('after remove', [x.name for x in client.containers.list(all=True)])
client.images.remove('py/committed:1')
