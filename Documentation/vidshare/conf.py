# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of vidshare's documentation, built by `make htmldocs`
# (sphinx-build -W: any warning fails the build). The kernel-doc and
# kernel-abi directives come from the kernel's own Sphinx extensions, in the
# kernel source tree that the environment variable KSRC names (`make
# htmldocs` finds it; see the top-level Makefile).

import os
import sys

project = 'vidshare'
copyright = 'The vidshare authors'

ksrc = os.environ.get('KSRC')
if not ksrc or not os.path.isfile(os.path.join(ksrc, 'scripts/kernel-doc')):
    sys.exit('conf.py: set KSRC to a kernel source tree (with scripts/kernel-doc '
             'and Documentation/sphinx/); `make htmldocs` finds one itself')
ksrc = os.path.abspath(ksrc)
top = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

sys.path.insert(0, os.path.join(ksrc, 'Documentation', 'sphinx'))
extensions = ['kerneldoc', 'rstFlatTable', 'kernel_abi']

# kernel-doc: the script from the kernel's source, the paths of the
# directives relative to vidshare's top directory.
kerneldoc_bin = os.path.join(ksrc, 'scripts', 'kernel-doc')
kerneldoc_srctree = top

# kernel-abi runs $srctree/scripts/get_abi.pl on $srctree/Documentation/DIR:
# `make htmldocs` points srctree at a directory that holds the kernel's
# scripts/ and vidshare's Documentation/.
if 'srctree' not in os.environ:
    os.environ['srctree'] = top

# As in the kernel's Documentation/conf.py; smart quotes, but "--json"
# stays two hyphens, not a dash.
primary_domain = 'c'
highlight_language = 'none'
smartquotes_action = 'q'
c_id_attributes = ['__user', '__iomem', '__force', '__packed', '__aligned',
                   '__must_check', '__always_inline', '__maybe_unused']

master_doc = 'index'
source_suffix = '.rst'
exclude_patterns = ['_build']
html_theme = 'alabaster'
html_title = 'vidshare'
html_static_path = []
