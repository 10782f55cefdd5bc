"""Example project.

Not a pin: "docs==1.0" in a docstring.
"""
from setuptools import setup

# rsa==4.5 is the last version for 2.7 (a comment, not a pin)
extras = {
    "enterprise_cert": ["cryptography==36.0.2", "pyOpenSSL==22.0.0"],
    "template": ["pkg=={}".format("1.0")],
}

setup(
    name="example",
    version="1.0",
    install_requires=[
        'httplib2==0.20.4',
        'google-auth[aiohttp]==2.17.0; python_version >= "3.7"',
        "six>=1.9",
    ],
    extras_require=extras,
)
