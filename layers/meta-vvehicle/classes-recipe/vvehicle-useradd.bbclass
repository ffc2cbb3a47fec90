# System users of meta-vvehicle's own recipes, with the static ids AGL requires (base-agl.inc sets
# USERADDEXTENSION = "useradd-staticids" and USERADD_ERROR_DYNAMIC = "error").
#
# useradd-staticids reads USERADD_UID_TABLES / USERADD_GID_TABLES from each recipe's own datastore, so
# setting them here reaches only the recipes that inherit this class. Setting them in conf/layer.conf
# would rewrite every other recipe's users (and signatures) merely because the layer is in BBLAYERS,
# which yocto-check-layer's test_signatures rejects.
#
# Our tables come first: for a name listed in several tables the later one wins, so the distro's own
# tables (AGL's files/passwd, files/group) keep the last word. The ??= defaults are what
# useradd-staticids reads when the distro sets no table at all.
USERADD_UID_TABLES ??= "files/passwd"
USERADD_GID_TABLES ??= "files/group"
USERADD_UID_TABLES:prepend = "files/vvehicle-passwd "
USERADD_GID_TABLES:prepend = "files/vvehicle-group "

inherit useradd
