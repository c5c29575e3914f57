print("voxdose")
