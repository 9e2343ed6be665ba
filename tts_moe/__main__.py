import sys

from tts_moe.cli import main

sys.exit(main())
