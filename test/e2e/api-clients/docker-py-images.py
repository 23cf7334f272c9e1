# docker-py (Debian's python3-docker) against strata's service: pull from a local registry,
# build, list images, volumes. Prints one line per check; the test compares them.
import io, json, os, sys, tarfile
import docker

registry, image = sys.argv[1], sys.argv[2]
client = docker.DockerClient(base_url=os.environ['DOCKER_HOST'], version='auto')
print('ping', client.ping())
print('api', client.version()['ApiVersion'])

pulled = client.images.pull(f'{registry}/{image}', tag='1')
print('pulled', pulled.tags)

ctx = io.BytesIO()
with tarfile.open(fileobj=ctx, mode='w:gz') as tar:
    dockerfile = f'FROM {registry}/{image}:1\nLABEL via=docker-py\nCOPY hello.txt /hello.txt\n'.encode()
    for name, data in (('Dockerfile', dockerfile), ('hello.txt', b'hello from python\n')):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
ctx.seek(0)
built, logs = client.images.build(fileobj=ctx, custom_context=True, encoding='gzip', tag='py/built:1', rm=True)
print('built', built.tags, built.labels.get('via'))
print('logs end', [l for l in logs if 'stream' in l][-1]['stream'].strip())

print('images', sorted(t for i in client.images.list() for t in i.tags))
print('history top', client.api.history('py/built:1')[0]['Tags'])

volume = client.volumes.create(name='py-vol', labels={'from': 'python'})
print('volume', volume.name, volume.attrs['Labels'])
print('volumes', [v.name for v in client.volumes.list()])
volume.remove()
print('volumes after', [v.name for v in client.volumes.list()])

try:
    client.images.get('py/missing:1')
except docker.errors.ImageNotFound as e:
    print('missing', e.response.status_code, e.explanation)

client.images.remove('py/built:1')
print('after rmi', sorted(t for i in client.images.list() for t in i.tags))
