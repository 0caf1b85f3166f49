"""Encryption of what the project keeps about clients (README, "Privacy").

* :mod:`okot.crypto.keyring`: the master keys (``OKOT_KEYRING``), one active;
* :mod:`okot.crypto.aead`: AES-256-GCM sealing and opening;
* :mod:`okot.crypto.data_keys`: a data key per trajectory, wrapped by a master
  key and kept in the project's database; destroying it erases the trajectory;
* :mod:`okot.crypto.codec`: the Temporal payload codec that uses them.
"""
