"""GuideCode: an offline reference for imaging-guidance codes with pain and spine procedures."""

__version__ = "0.1.0"
APP_NAME = "GuideCode"
ORG_NAME = "GuideCode"
